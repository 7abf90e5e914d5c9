// Express 4, installed under the alias "express4" (a devDependency) to run the suite against both
// majors. The tests use only what both majors type alike: the app, Router and middleware.
declare module "express4" {
  import express from "express";
  export default express;
}

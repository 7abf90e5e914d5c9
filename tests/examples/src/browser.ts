import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium, driven by playwright-core: never a downloaded browser. Without it, browser
 * tests skip with a loud message, except under CI (`CI` set), where they must run.
 */
export const chromiumPath = "/usr/bin/chromium";
const launchArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

export const haveBrowser = existsSync(chromiumPath);
export const skipBrowserTests = !haveBrowser && !process.env.CI;

if (skipBrowserTests) {
  console.warn(
    `\n!!! SKIPPING the browser test of the live call monitor: ${chromiumPath} is missing.\n` +
      "!!! Install it with: apt-get update && apt-get install -y chromium   (with CI set, this is a failure)\n",
  );
}

export async function launchChromium(): Promise<Browser> {
  if (!haveBrowser) throw new Error(`CI is set but ${chromiumPath} is missing: apt-get install -y chromium (scripts/ensure-services.sh does)`);
  return chromium.launch({ executablePath: chromiumPath, args: launchArgs, headless: true });
}

// Copies front-end packages from node_modules into Django's static files (served by us, never a CDN).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "buergerkontakt", "static", "vendor");
mkdirSync(vendor, { recursive: true });
// ALTCHA: the CSP-safe "external" build (no inline styles, no blob workers) as an ES module,
// its stylesheet, the PBKDF2 worker we register ourselves, and the German strings.
const files = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["altcha/dist/external/altcha.min.js", "altcha/altcha.min.js"],
  ["altcha/dist/external/altcha.css", "altcha/altcha.css"],
  ["altcha/dist/workers/pbkdf2.js", "altcha/pbkdf2.js"],
  ["altcha/dist/i18n/de.js", "altcha/de.js"],
];
for (const [from, to] of files) {
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  copyFileSync(join(root, "node_modules", from), join(vendor, to));
}
console.log(`copied ${files.length} asset(s) to ${vendor}`);

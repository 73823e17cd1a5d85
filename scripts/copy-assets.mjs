// Copies front-end packages from node_modules into Django's static files (served by us, never a CDN).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "buergerkontakt", "static", "vendor");
mkdirSync(vendor, { recursive: true });
const files = [["htmx.org/dist/htmx.min.js", "htmx.min.js"]];
for (const [from, to] of files) {
  copyFileSync(join(root, "node_modules", from), join(vendor, to));
}
console.log(`copied ${files.length} asset(s) to ${vendor}`);

// Copies the pinned front-end files into tocsin/web/static/vendor/ (committed, served locally).
import { copyFileSync, mkdirSync } from "node:fs";
const out = "../tocsin/web/static/vendor";
const files = {
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "echarts/dist/echarts.min.js": "echarts.min.js",
  "cytoscape/dist/cytoscape.min.js": "cytoscape.min.js",
  "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
  "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
  // Accessibility checks: loaded by the browser tests only, no page links it.
  "axe-core/axe.min.js": "axe.min.js",
  "htmx.org/LICENSE": "licenses/htmx.LICENSE",
  "echarts/LICENSE": "licenses/echarts.LICENSE",
  "cytoscape/LICENSE": "licenses/cytoscape.LICENSE",
  "swagger-ui-dist/LICENSE": "licenses/swagger-ui.LICENSE",
  "axe-core/LICENSE": "licenses/axe-core.LICENSE",
};
mkdirSync(`${out}/swagger-ui`, { recursive: true });
mkdirSync(`${out}/licenses`, { recursive: true });
for (const [src, dest] of Object.entries(files)) copyFileSync(`node_modules/${src}`, `${out}/${dest}`);
console.log(`copied ${Object.keys(files).length} files to ${out}`);

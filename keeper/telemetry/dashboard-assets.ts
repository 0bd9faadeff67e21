/**
 * The dashboard page's three files (keeper/telemetry/dashboard/), read once from disk and served by
 * the telemetry server at /, /dashboard.js and /dashboard.css. They are plain files: no build step,
 * no CDN, nothing fetched at run time, so the page works on an offline host.
 */
import fs from "node:fs";
import path from "node:path";

export interface DashboardAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

const DASHBOARD_DIRECTORY = path.join(__dirname, "dashboard");
const FILES: Readonly<Record<string, { readonly file: string; readonly contentType: string }>> = {
  "/": { file: "index.html", contentType: "text/html; charset=utf-8" },
  "/dashboard.js": { file: "dashboard.js", contentType: "text/javascript; charset=utf-8" },
  "/dashboard.css": { file: "dashboard.css", contentType: "text/css; charset=utf-8" },
};

/**
 * The page may load only its own script and stylesheet and talk only to its own origin; nothing may
 * frame it. Applied to the three asset responses.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export const DASHBOARD_ROUTES: readonly string[] = Object.keys(FILES);

let cache: Map<string, DashboardAsset> | null = null;

/** The asset for `route`, or undefined when the route is not one of the page's files. */
export function dashboardAsset(route: string): DashboardAsset | undefined {
  if (cache === null) {
    cache = new Map(
      Object.entries(FILES).map(([name, { file, contentType }]) => [
        name,
        { contentType, body: fs.readFileSync(path.join(DASHBOARD_DIRECTORY, file)) },
      ]),
    );
  }
  return cache.get(route);
}

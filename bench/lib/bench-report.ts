/**
 * reports/bench.json is shared by every benchmark section (gas, scan, reaction...): each writes only its own key and
 * keeps the others, so running one section never erases another's figures.
 */
import fs from "node:fs";
import path from "node:path";

export const BENCH_REPORT_FILE = path.join("reports", "bench.json");

/** The current report, or {} when there is none yet. A file that is not a JSON object is an error, not overwritten. */
export function readBenchReport(file = BENCH_REPORT_FILE): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file} should hold a JSON object of benchmark sections, found ${Array.isArray(parsed) ? "an array" : typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Sets `section` to `value` in the report and leaves every other section as it was. Written to a temporary file then
 * renamed, so an interrupted run never leaves half a report.
 */
export function mergeBenchSection(section: string, value: unknown, file = BENCH_REPORT_FILE): void {
  if (section.length === 0) throw new Error("a benchmark section needs a non-empty name");
  const report = { ...readBenchReport(file), [section]: value };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(report, null, 2) + "\n");
  fs.renameSync(temporary, file);
}

// Run the given content queries through Evidence's own DuckDB connector
// (@evidence-dev/duckdb), as `npm run sources` does for a source folder holding
// `connection.yaml` with `filename: warehouse.duckdb` and a link of that name to the
// published file (docs/bi-tools.md): read-only, with the engine the connector bundles.
// Usage: node read_marts_evidence.mjs WAREHOUSE QUERIES_JSON. Prints the same JSON as
// read_marts.py; run by tests/test_bi_clients.py.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { getRunner } from "@evidence-dev/duckdb";

const require = createRequire(import.meta.url);
const [warehouse, queriesPath] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(queriesPath, "utf-8"));
const engine = require("@duckdb/node-api/package.json").version;
const result = { engine: `Evidence connector, node-api ${engine}`, relations: {} };
const source = mkdtempSync(path.join(tmpdir(), "evidence-source-"));
symlinkSync(path.resolve(warehouse), path.join(source, "warehouse.duckdb"));
const runner = await getRunner({ filename: "warehouse.duckdb" }, source);
try {
  for (const [relation, sql] of Object.entries(queries)) {
    try {
      const answer = await runner(sql, path.join(source, `${relation}.sql`), 100000);
      const rows = [];
      for await (const batch of answer.rows()) rows.push(...batch);
      result.relations[relation] = Object.values(rows[0]).map((v) =>
        typeof v === "bigint" ? Number(v) : v,
      );
    } catch (error) {
      const message = String(error);
      // The connector opens the file per query: an engine that cannot open it fails them all.
      if (/Trying to read a database file/.test(message)) {
        result.open_error = message;
        break;
      }
      result.relations[relation] = message;
    }
  }
} finally {
  rmSync(source, { recursive: true, force: true });
}
console.log(JSON.stringify(result));

// Run the given content queries through Evidence's own DuckDB connector
// (@evidence-dev/duckdb), as an Evidence source with `filename:` set does: read-only, with
// the engine the connector bundles. Usage: node read_marts_evidence.mjs WAREHOUSE QUERIES_JSON.
// Prints the same JSON as read_marts.py; run by tests/test_bi_clients.py.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import runQuery from "@evidence-dev/duckdb";

const require = createRequire(import.meta.url);
const [warehouse, queriesPath] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(queriesPath, "utf-8"));
const engine = require("@duckdb/node-api/package.json").version;
const result = { engine: `Evidence connector, node-api ${engine}`, relations: {} };
for (const [relation, sql] of Object.entries(queries)) {
  try {
    const answer = await runQuery(sql, { filename: warehouse });
    const rows = [];
    for await (const batch of answer.rows()) rows.push(...batch);
    result.relations[relation] = Object.values(rows[0]).map((v) =>
      typeof v === "bigint" ? Number(v) : v,
    );
  } catch (error) {
    const message = String(error);
    // The connector opens the file per query: an engine that cannot open it fails them all.
    if (/Trying to read a database file|IO Error/.test(message)) {
      result.open_error = message;
      break;
    }
    result.relations[relation] = message;
  }
}
console.log(JSON.stringify(result));

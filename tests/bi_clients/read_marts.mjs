// Run the given content queries read-only with @duckdb/node-api, the engine Evidence's
// DuckDB connector bundles. Usage: node read_marts.mjs WAREHOUSE QUERIES_JSON.
// Prints the same JSON as read_marts.py; run by tests/test_bi_clients.py.
import { readFileSync } from "node:fs";
import { DuckDBInstance, version } from "@duckdb/node-api";

const [warehouse, queriesPath] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(queriesPath, "utf-8"));
const result = { engine: `node-api duckdb ${version()}`, relations: {} };
let connection;
try {
  const instance = await DuckDBInstance.create(warehouse, { access_mode: "READ_ONLY" });
  connection = await instance.connect();
} catch (error) {
  result.open_error = String(error);
}
if (connection) {
  for (const [relation, sql] of Object.entries(queries)) {
    try {
      const reader = await connection.runAndReadAll(sql);
      // BIGINT counts arrive as BigInt, which JSON cannot hold: as numbers, as Python prints.
      result.relations[relation] = reader.getRows()[0].map((v) =>
        typeof v === "bigint" ? Number(v) : v,
      );
    } catch (error) {
      result.relations[relation] = String(error);
    }
  }
}
console.log(JSON.stringify(result));

/** `npm run schema`: writes schema.graphql, the subgraph SDL with federation directives. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printSubgraphSchema } from "@apollo/subgraph";
import { schema } from "../src/schema/index.js";

export const SCHEMA_FILE = fileURLToPath(new URL("../schema.graphql", import.meta.url));

export function printSchemaSdl(): string {
  return `${printSubgraphSchema(schema).trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, printSchemaSdl());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

/** Assembles the schema: every type file registers itself on the builder; this builds the subgraph. */
import { builder } from "./builder.js";
import "./root.js";
import "./scalars.js";
import "./enums.js";
import "./task-filter.js";
import "./export-task.js";
import "./export-task-download.js";
import "./export-task-contents.js";
import "./create-usage-export.js";
import "./create-usage-exports.js";
import "./delete-export-task.js";
import "./subscription.js";

/** The gateway's schema: an Apollo Federation v2 subgraph (`_service`, `_entities`). */
export const schema = builder.toSubGraphSchema({
  linkUrl: "https://specs.apollo.dev/federation/v2.6",
  federationDirectives: ["@key"],
});

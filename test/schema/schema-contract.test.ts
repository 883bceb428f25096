/** schema.graphql is current, and the contract's names and shapes (design.md) are all there. */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { buildASTSchema, isEnumType, isInputObjectType, isObjectType, parse, type GraphQLNamedType } from "graphql";
import { printSchemaSdl, SCHEMA_FILE } from "../../scripts/print-schema.js";
import { schema } from "../../src/schema/index.js";

test("schema.graphql is up to date (run `npm run schema`)", () => {
  expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(printSchemaSdl());
});

test("the printed SDL is a Federation v2 subgraph", () => {
  const sdl = printSchemaSdl();
  expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
  expect(sdl).toMatch(/type ExportTask implements Node\s+@key\(fields: "kind taskId"\)/);
  const query = schema.getQueryType()!.getFields();
  expect(Object.keys(query)).toEqual(expect.arrayContaining(["_service", "_entities", "tasks", "task", "node"]));
});

describe("contract", () => {
  // Rebuilt from the printed SDL (minus federation directives) so types print the GraphQL way.
  const sdl = printSchemaSdl().replace(/extend schema[^\n]*\n[^\n]*\n/, "").replaceAll(/@key\([^)]*\)/g, "");
  const built = buildASTSchema(parse(sdl), { assumeValidSDL: true });
  const typeOf = (name: string) => {
    const type: GraphQLNamedType | undefined = built.getType(name);
    if (!isObjectType(type) && !isInputObjectType(type)) throw new Error(`${name} missing`);
    return type;
  };
  const fieldsOf = (name: string): Record<string, string> => {
    const type = typeOf(name);
    const fields: { name: string; type: unknown }[] = isObjectType(type) ? Object.values(type.getFields()) : Object.values(type.getFields());
    return Object.fromEntries(fields.map((f) => [f.name, String(f.type)]));
  };
  const argsOf = (name: string, field: string): Record<string, string> => {
    const type = typeOf(name);
    if (!isObjectType(type)) throw new Error(`${name} has no arguments`);
    const shown = (value: unknown) => (value === undefined ? "" : ` = ${typeof value === "string" ? value : JSON.stringify(value)}`);
    return Object.fromEntries((type.getFields()[field]?.args ?? []).map((a) => [a.name, `${String(a.type)}${shown(a.defaultValue)}`]));
  };
  const enumValues = (name: string): string[] => {
    const type = built.getType(name);
    if (!isEnumType(type)) throw new Error(`${name} is not an enum`);
    return type.getValues().map((v) => v.name);
  };

  test("enums", () => {
    expect(enumValues("ExportKind")).toEqual(["USAGE_DETAIL", "USER_USAGE"]);
    expect(enumValues("ExportTaskStatus")).toEqual(["CREATED", "SUCCESS", "FAILED", "UNKNOWN"]);
    expect(enumValues("UsageType")).toEqual(["FLOW", "VAS"]);
    expect(enumValues("ExportLanguage")).toEqual(["ZH_CN", "EN_US"]);
    expect(enumValues("ExportFileType")).toEqual(["XLSX", "PDF"]);
    expect(enumValues("UsageInterval")).toEqual(["FIVE_MINUTES", "HOUR", "DAY"]);
  });

  test("export contents", () => {
    expect(argsOf("ExportTask", "usage")).toEqual({
      domain: "String",
      from: "DateTime",
      to: "DateTime",
      interval: "UsageInterval = FIVE_MINUTES",
      timeZone: "String = UTC",
    });
    expect(fieldsOf("UsageSeries")).toEqual({
      usageType: "UsageType!",
      interval: "UsageInterval!",
      domains: "[String!]!",
      from: "DateTime!",
      to: "DateTime!",
      points: "UsagePointConnection!",
      summary: "UsageSummary!",
    });
    expect(argsOf("UsageSeries", "points")).toEqual({ first: "Int", after: "String" });
    expect(fieldsOf("UsagePointConnection")).toEqual({ edges: "[UsagePointEdge!]!", pageInfo: "PageInfo!", totalCount: "Int!" });
    expect(fieldsOf("UsagePointEdge")).toEqual({ cursor: "String!", node: "UsagePoint!" });
    expect(fieldsOf("UsagePoint")).toEqual({ time: "DateTime!", trafficBytes: "Float", bandwidthBps: "Float", requests: "Float" });
    expect(fieldsOf("UsageSummary")).toEqual({
      trafficBytes: "Float",
      requests: "Float",
      peakBandwidthBps: "Float",
      peakAt: "DateTime",
      p95BandwidthBps: "Float",
    });
    expect(fieldsOf("ExportSheet")).toEqual({ name: "String!", headers: "[String!]!", rowCount: "Int!", rows: "ExportRowConnection!" });
    expect(argsOf("ExportSheet", "rows")).toEqual({ first: "Int", after: "String" });
    expect(fieldsOf("ExportRowConnection")).toEqual({ edges: "[ExportRowEdge!]!", pageInfo: "PageInfo!", totalCount: "Int!" });
    expect(fieldsOf("ExportRowEdge")).toEqual({ cursor: "String!", node: "ExportRow!" });
    expect(fieldsOf("ExportRow")).toEqual({ cells: "[String]!" });
  });

  test("ExportTask and its connection", () => {
    expect(fieldsOf("ExportTask")).toEqual({
      id: "ID!",
      kind: "ExportKind!",
      taskId: "String!",
      name: "String",
      status: "ExportTaskStatus!",
      rawStatus: "String!",
      createdAt: "DateTime!",
      updatedAt: "DateTime",
      startTime: "DateTime",
      endTime: "DateTime",
      downloadUrl: "String",
      // Additive (issue "Beyond the API"): fetch details under the download policy.
      download: "ExportTaskDownload!",
      // Export contents (design.md 2026-12).
      fileType: "ExportFileType!",
      usage: "UsageSeries",
      sheets: "[ExportSheet!]",
    });
    expect(fieldsOf("ExportTaskDownload")).toEqual({ url: "String", fileName: "String!", ready: "Boolean!" });
    expect(fieldsOf("ExportTaskConnection")).toEqual({ edges: "[ExportTaskEdge!]!", pageInfo: "PageInfo!", totalCount: "Int!" });
    expect(fieldsOf("ExportTaskEdge")).toEqual({ cursor: "String!", node: "ExportTask!" });
  });

  test("queries", () => {
    expect(fieldsOf("Query")).toMatchObject({ tasks: "ExportTaskConnection!", task: "ExportTask", node: "Node" });
    expect(argsOf("Query", "tasks")).toEqual({
      kind: "ExportKind! = USAGE_DETAIL",
      // Day-one contract additions: filtered lists.
      filter: "TaskFilter",
      first: "Int",
      after: "String",
      last: "Int",
      before: "String",
    });
    expect(fieldsOf("TaskFilter")).toEqual({
      status: "[ExportTaskStatus!]",
      createdAfter: "DateTime",
      createdBefore: "DateTime",
      nameContains: "String",
    });
    expect(argsOf("Query", "task")).toEqual({ kind: "ExportKind! = USAGE_DETAIL", taskId: "String!" });
    expect(argsOf("Query", "node")).toEqual({ id: "ID!" });
  });

  test("mutations, inputs and payloads", () => {
    expect(fieldsOf("Mutation")).toEqual({
      createUsageExport: "CreateUsageExportPayload!",
      createUserUsageExport: "CreateUsageExportPayload!",
      deleteExportTask: "DeleteExportTaskPayload!",
      // Additive: long ranges split into tasks of at most 31 days.
      createUsageExports: "CreateUsageExportsPayload!",
      createUserUsageExports: "CreateUsageExportsPayload!",
    });
    expect(argsOf("Mutation", "createUsageExports")).toEqual({ input: "CreateUsageExportInput!" });
    expect(argsOf("Mutation", "createUserUsageExports")).toEqual({ input: "CreateUserUsageExportInput!" });
    expect(fieldsOf("CreateUsageExportsPayload")).toEqual({
      startTime: "DateTime!",
      endTime: "DateTime!",
      parts: "[UsageExportPart!]!",
      complete: "Boolean!",
    });
    expect(argsOf("Mutation", "createUsageExport")).toEqual({ input: "CreateUsageExportInput!" });
    expect(argsOf("Mutation", "createUserUsageExport")).toEqual({ input: "CreateUserUsageExportInput!" });
    expect(argsOf("Mutation", "deleteExportTask")).toEqual({ input: "DeleteExportTaskInput!" });
    expect(fieldsOf("CreateUsageExportInput")).toEqual({
      type: "UsageType!",
      startTime: "DateTime!",
      endTime: "DateTime!",
      domainNames: "[String!]",
      group: "String",
      language: "ExportLanguage",
      taskName: "String",
      idempotencyKey: "String",
    });
    expect(sdl).toMatch(/input CreateUsageExportInput \{[^}]*language: ExportLanguage = ZH_CN/);
    expect(sdl).toMatch(/input CreateUserUsageExportInput \{[^}]*language: ExportLanguage = ZH_CN/);
    expect(fieldsOf("CreateUserUsageExportInput")).toEqual({
      startTime: "DateTime!",
      endTime: "DateTime!",
      language: "ExportLanguage",
      taskName: "String",
      idempotencyKey: "String",
    });
    expect(fieldsOf("CreateUsageExportPayload")).toEqual({
      taskId: "String!",
      // Day-one contract additions: the answer came from an earlier request with the same key.
      replayed: "Boolean!",
      startTime: "DateTime!",
      endTime: "DateTime!",
      task: "ExportTask",
    });
    expect(fieldsOf("DeleteExportTaskInput")).toEqual({ kind: "ExportKind!", taskId: "String!" });
    expect(fieldsOf("DeleteExportTaskPayload")).toEqual({ deletedTaskId: "String!" });
  });
});

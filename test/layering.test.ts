/**
 * The layer picture (README "Layout") is enforced by `npm run lint`: these cases prove the rule
 * fails on a back-arrow and on a cycle, with exactly the rules eslint.config.js uses.
 */
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { LAYERS, layeringConfig } from "../eslint.layers.js";

const root = fileURLToPath(new URL("..", import.meta.url));

function linter(): ESLint {
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, layeringConfig],
  });
}

async function messagesFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await linter().lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? "?"}: ${m.message}`);
}

describe("layering lint rule", () => {
  it("refuses an upstream file that imports a resolver (a back-arrow)", async () => {
    const messages = await messagesFor(`import { resolveTasksConnection } from "../resolvers/tasks-connection.js";\nexport const x = resolveTasksConnection;\n`, "src/upstream/back-arrow.ts");
    expect(messages.some((m) => m.startsWith("import-x/no-restricted-paths") && m.includes("upstream layer imports only downwards"))).toBe(true);
  });

  it("refuses an upstream client that imports shared state", async () => {
    const messages = await messagesFor(`import { createSharedState } from "../state/shared-state.js";\nexport const x = createSharedState;\n`, "src/upstream/back-arrow.ts");
    expect(messages.some((m) => m.includes("upstream layer imports only downwards"))).toBe(true);
  });

  it("accepts an import that goes down the layers", async () => {
    const messages = await messagesFor(`import { signRequestV1 } from "../upstream/signing/index.js";\nexport const x = signRequestV1;\n`, "src/resolvers/downward.ts");
    expect(messages.filter((m) => m.startsWith("import-x/no-restricted-paths"))).toEqual([]);
  });

  it("refuses an import cycle", async () => {
    const results = await linter().lintFiles(["test/fixtures/layering/ping.ts"]);
    const messages = results.flatMap((r) => r.messages.map((m) => m.ruleId));
    expect(messages).toContain("import-x/no-cycle");
  });

  it("names every folder of src/ in some layer", () => {
    const named = LAYERS.flatMap((l) => l.files).join(" ");
    for (const folder of ["schema", "resolvers", "live", "exports", "reading", "upstream", "state", "http", "auth", "observability"]) {
      expect(named).toContain(`src/${folder}/`);
    }
  });
});

/** The cases in the order they run (case 1 first: case 4's target uses its overhead figure). */
import type { BenchCase } from "../lib/case.js";
import { entitiesCase } from "./entities.js";
import { exportsCase } from "./exports.js";
import { fanOutCase } from "./fan-out.js";
import { hotListCase } from "./hot-list.js";
import { memoryCase } from "./memory.js";
import { overheadCase } from "./overhead.js";
import { quotaCase } from "./quota.js";
import { replicasCase } from "./replicas.js";
import { sdkCase } from "./sdk.js";
import { startupCase } from "./startup.js";

export const ALL_CASES: readonly BenchCase[] = [overheadCase, sdkCase, hotListCase, fanOutCase, entitiesCase, memoryCase, startupCase, quotaCase, replicasCase, exportsCase];

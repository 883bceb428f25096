/** The root operation types; their fields are added by the file of the type they return. */
import { builder } from "./builder.js";

builder.queryType({});
builder.mutationType({});

import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Examples import the package by name, as users do; tests point that name at the source.
    alias: { "pulumi-minio-kes": resolve(import.meta.dirname, "lib/index.ts") },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    pool: "forks",
  },
});

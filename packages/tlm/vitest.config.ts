import { vitestConfig } from "../../tools/vitest.base";

export default vitestConfig("@recall/tlm", {
  // Each checks the first build of a process-wide singleton (the shipped thesaurus, the typo word list).
  isolated: ["src/__tests__/thesaurus.test.ts", "src/__tests__/thesaurus-warm.test.ts", "src/__tests__/typo.test.ts"],
});

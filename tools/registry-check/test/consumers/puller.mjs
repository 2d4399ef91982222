// The @recall/puller README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { Puller } from "@recall/puller";
const [endpoint, apiKey, bundleRoot, pub, otherPub] = process.argv.slice(2);
const puller = new Puller({ endpoint, apiKey, bundleRoot, publicKeys: [pub] });
const first = await puller.tick({ onProgress: () => {} });
const second = await puller.tick();
const wrongKey = await new Puller({ endpoint, apiKey, bundleRoot: bundleRoot + "-other", publicKeys: [otherPub] }).tick();
console.log(JSON.stringify({ first, second, wrongKey }));

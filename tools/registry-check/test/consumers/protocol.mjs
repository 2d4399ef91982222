// The @recall/protocol README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { parseQueryIntent } from "@recall/protocol";
const reply = (status, body) => ({ status, code: body.error.code, hasIssues: Array.isArray(body.error.issues) && body.error.issues.length > 0 });
const good = parseQueryIntent(JSON.parse('{"text":"how do we deploy?","kinds":["decision"],"limit":5}'));
const r = parseQueryIntent(JSON.parse('{"text":"","surprise":1}'));
let bad = null;
if (!r.ok) bad = reply(400, { error: { code: "bad_request", message: r.message, issues: r.issues } });
console.log(JSON.stringify({ ok: good.ok, limit: good.ok ? good.value.limit : -1, bad }));

import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { MemoryRecord } from "./records";
import { InvalidRecordError } from "./errors";

/** Lower-case ASCII slug of a heading or path: `Billing API: v2` → `billing-api-v2`. */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "") || "section";
}

interface FrontMatter { date?: string; entities?: string[] }

function splitFrontMatter(text: string): { front: FrontMatter; body: string; bodyLine: number } {
  if (!text.startsWith("---\n")) return { front: {}, body: text, bodyLine: 1 };
  const end = text.indexOf("\n---", 4);
  if (end < 0) return { front: {}, body: text, bodyLine: 1 };
  const head = text.slice(4, end);
  const front: FrontMatter = {};
  for (const line of head.split("\n")) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const value = m[2]!.trim().replace(/^["']|["']$/g, "");
    if (m[1] === "date") front.date = value;
    if (m[1] === "entities" || m[1] === "tags") {
      front.entities = value.replace(/^\[|\]$/g, "").split(",").map((s) => s.trim().replace(/^["']|["']$/g, "")).filter(Boolean);
    }
  }
  const after = text.indexOf("\n", end + 4);
  const body = after < 0 ? "" : text.slice(after + 1);
  return { front, body, bodyLine: text.slice(0, after + 1).split("\n").length };
}

async function listMarkdown(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listMarkdown(p)));
    else if (entry.isFile() && /\.(md|markdown)$/i.test(entry.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Reads every `*.md` file under `dir` (recursively, sorted) and yields one
 * `note` per `##` section: id `<file-slug>/<heading-slug>` (made unique),
 * text = heading + body, `created_at` from a front-matter `date:` or the file
 * mtime, entities from front-matter `entities:`/`tags:`, `source_ref`
 * `<relative path>#<heading-slug>`. Text before the first `##` is ignored.
 */
export async function readMarkdownDir(dir: string): Promise<MemoryRecord[]> {
  const records: MemoryRecord[] = [];
  const ids = new Set<string>();
  for (const file of await listMarkdown(dir)) {
    const rel = relative(dir, file).split(sep).join("/");
    const text = await readFile(file, "utf8");
    const { front, body } = splitFrontMatter(text);
    let createdAt = (await stat(file)).mtime.toISOString();
    if (front.date !== undefined) {
      const ms = Date.parse(front.date);
      if (Number.isNaN(ms)) throw new InvalidRecordError(rel, undefined, `front-matter date ${JSON.stringify(front.date)} is not a date`);
      createdAt = new Date(ms).toISOString();
    }
    const fileSlug = slugify(rel.replace(/\.(md|markdown)$/i, ""));
    const sections = body.split(/^##(?!#)[ \t]*/m).slice(1);
    for (const section of sections) {
      const nl = section.indexOf("\n");
      const heading = (nl < 0 ? section : section.slice(0, nl)).trim();
      const content = (nl < 0 ? "" : section.slice(nl + 1)).trim();
      if (heading === "" && content === "") continue;
      const headingSlug = slugify(heading);
      let id = `${fileSlug}/${headingSlug}`;
      for (let n = 2; ids.has(id); n++) id = `${fileSlug}/${headingSlug}-${n}`;
      ids.add(id);
      records.push({
        id,
        text: content === "" ? heading : `${heading}\n\n${content}`,
        kind: "note",
        ...(front.entities?.length ? { entities: front.entities } : {}),
        created_at: createdAt,
        source_ref: `${rel}#${headingSlug}`,
      });
    }
  }
  return records;
}

import { Header, Pax } from "tar";

/** Size of one tar block. */
export const TAR_BLOCK = 512;

/** Fixed mtime of every packed entry (the Unix epoch), for reproducible archives. */
export const PACK_MTIME = new Date(0);

/**
 * Header block(s) of one deterministic entry: ustar with mode 0644/0755,
 * uid/gid 0, no owner names, mtime 0; a pax header first when the path is
 * long or not ASCII, or the size does not fit the octal field.
 */
export function entryHeader(path: string, kind: "file" | "dir", size: number): Buffer {
  const data = {
    path: kind === "dir" ? `${path}/` : path,
    mode: kind === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size: kind === "dir" ? 0 : size,
    mtime: PACK_MTIME,
    type: kind === "dir" ? ("Directory" as const) : ("File" as const),
    uname: "",
    gname: "",
    devmaj: 0,
    devmin: 0,
  };
  const block = Buffer.alloc(TAR_BLOCK);
  const needPax = new Header(data).encode(block);
  if (!needPax) return block;
  const pax = new Pax({ path: data.path, size: data.size }).encode();
  return Buffer.concat([pax, block]);
}

/** Zero bytes that pad `size` bytes of entry data to a whole block. */
export function padding(size: number): Buffer {
  const rem = size % TAR_BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : TAR_BLOCK - rem);
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

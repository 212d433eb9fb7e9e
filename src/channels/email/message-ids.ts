/**
 * Message-IDs: ours are `<c<conversation>.m<message>@domain>`, deterministic, so a send retried after a crash
 * carries the same id and mail clients show it once. Theirs are normalised here, because mailparser gives a
 * string for one id and an array for several (ENGINEERING.md §5.2).
 */

export function outboundMessageId(conversationId: number, messageId: number, domain: string): string {
  return `<c${conversationId}.m${messageId}@${domain}>`;
}

/** Whether `id` is one Wasl sent for this domain (a copy of our own mail coming back must not be answered). */
export function isOwnMessageId(id: string, domain: string): boolean {
  const m = /^<c\d+\.m\d+@([^>]+)>$/.exec(id.trim());
  return !!m && m[1]!.toLowerCase() === domain.toLowerCase();
}

/** Every `<…>` id in a header value or list, in order, without duplicates. */
export function messageIdList(value: string | string[] | undefined | null): string[] {
  if (!value) return [];
  const all = (Array.isArray(value) ? value : [value]).flatMap((v) => v.match(/<[^<>\s]+>/g) ?? []);
  return [...new Set(all)];
}

/** RFC 5322 allows a long References; servers and clients cope badly past a few kB. Keep the root and the latest. */
export function trimReferences(ids: string[], max = 20): string[] {
  return ids.length <= max ? ids : [ids[0]!, ...ids.slice(ids.length - (max - 1))];
}

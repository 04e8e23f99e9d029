/** A bounded LRU of decoded objects' bytes (hot objects and delta bases). */
export class DecodedCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    readonly maxObjectBytes: number,
  ) {}

  get(hex: string): Buffer | undefined {
    const bytes = this.entries.get(hex);
    if (bytes === undefined) return undefined;
    this.entries.delete(hex);
    this.entries.set(hex, bytes);
    return bytes;
  }

  set(hex: string, bytes: Buffer): void {
    if (this.entries.has(hex) || bytes.byteLength > this.maxObjectBytes || this.maxBytes === 0) return;
    this.entries.set(hex, bytes);
    this.bytes += bytes.byteLength;
    for (const [key, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= old.byteLength;
    }
  }

  delete(hex: string): void {
    const bytes = this.entries.get(hex);
    if (bytes === undefined) return;
    this.entries.delete(hex);
    this.bytes -= bytes.byteLength;
  }
}

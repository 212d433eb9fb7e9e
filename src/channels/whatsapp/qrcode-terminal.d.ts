// qrcode-terminal ships plain JavaScript; this covers the one call the gateway makes.
declare module 'qrcode-terminal' {
  /** Renders `input` as a QR code of block characters and hands the text to `callback`. */
  export function generate(input: string, options: { small?: boolean }, callback: (text: string) => void): void;
}

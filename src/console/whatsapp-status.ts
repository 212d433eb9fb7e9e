/** Where the WhatsApp channel publishes its state and pairing QR (channels/whatsapp/whatsapp-status-route.ts). */
export const whatsappStatusPathForConsole = '/api/channels/whatsapp';

/** Webhook calls checked against their signature (`upscale webhook verify`). */
export { checkFreepikWebhook, type FreepikWebhook, type WebhookCheck } from '../webhooks.js';

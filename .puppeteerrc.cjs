// Backstop if the puppeteer → puppeteer-core override in package.json is ever removed: never download a
// browser at install (the machines cannot reach Google's storage); Wasl uses Debian's Chromium (CHROMIUM_PATH).
module.exports = { skipDownload: true };

import { defineConfig } from 'drizzle-kit';

// drizzle-kit only generates SQL from the schema; Wasl applies migrations itself at start (store/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './drizzle',
});

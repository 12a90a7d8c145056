CREATE OR REPLACE VIEW big_invoices AS SELECT * FROM invoices WHERE total > 1000;

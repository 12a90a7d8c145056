DROP DATABASE old_reports;

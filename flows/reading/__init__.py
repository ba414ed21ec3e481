"""The parse stage: where a spreadsheet becomes submissions, values and issues."""

"""analysis: experiment directories -> Parquet, tables, plots, report."""

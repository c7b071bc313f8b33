"""Reports, figures and output files."""

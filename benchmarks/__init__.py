"""asv benchmarks of fastlinreg (see asv.conf.json); pytest-only files live elsewhere."""

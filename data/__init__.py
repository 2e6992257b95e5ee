"""The contact-record contract, its validation, and the synthetic generator."""

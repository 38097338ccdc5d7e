"""The clinic's registry: the clinic, its practitioners and its list patients, mirrored from the EPJ."""

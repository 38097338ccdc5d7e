"""Acting on behalf of another patient: the one access check every patient page goes through."""

"""Drug knowledge as sourced data files, loaded and validated into frozen values."""

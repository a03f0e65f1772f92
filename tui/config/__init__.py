"""perptop's settings without Textual: the config file, its validation with file/line/key errors, paths, the
state file."""

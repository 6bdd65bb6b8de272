"""CLI command modules: each has add_arguments(parser) and main(args) -> exit code."""

# Empty dependencies file for slatecore.
# This may be replaced when dependencies are built.

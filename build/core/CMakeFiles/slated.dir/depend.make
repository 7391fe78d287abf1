# Empty dependencies file for slated.
# This may be replaced when dependencies are built.

file(REMOVE_RECURSE
  "libslatecore.a"
)

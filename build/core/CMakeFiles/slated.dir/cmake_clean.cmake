file(REMOVE_RECURSE
  "CMakeFiles/slated.dir/main.c.o"
  "CMakeFiles/slated.dir/main.c.o.d"
  "slated"
  "slated.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/slated.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

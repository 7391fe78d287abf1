file(REMOVE_RECURSE
  "CMakeFiles/slatectl.dir/slatectl.c.o"
  "CMakeFiles/slatectl.dir/slatectl.c.o.d"
  "slatectl"
  "slatectl.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/slatectl.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

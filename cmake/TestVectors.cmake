# Schema-derived test payloads (tools/ocpp_codegen/make_test_vectors.py), generated at build time
# into <binary dir>/vectors/vectors_{16,201,21}.json. Used by the unit tests and the fuzz seeds.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(evbroker_test_vectors target out_dir out_files_var)
  set(codegen ${PROJECT_SOURCE_DIR}/tools/ocpp_codegen)
  set(files)
  foreach(pair "1.6:16" "2.0.1:201" "2.1:21")
    string(REPLACE ":" ";" parts ${pair})
    list(GET parts 0 version)
    list(GET parts 1 tag)
    file(GLOB schema_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/schemas/${version}/*.json)
    set(out ${out_dir}/vectors_${tag}.json)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND ${Python3_EXECUTABLE} ${codegen}/make_test_vectors.py
              --schemas ${PROJECT_SOURCE_DIR}/schemas/${version} --version ${version} --out ${out}
      DEPENDS ${codegen}/make_test_vectors.py ${codegen}/schema_model.py ${schema_files}
      COMMENT "Deriving OCPP ${version} test vectors from the schemas")
    list(APPEND files ${out})
  endforeach()
  add_custom_target(${target} DEPENDS ${files})
  set(${out_files_var} ${files} PARENT_SCOPE)
endfunction()

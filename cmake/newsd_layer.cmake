# newsd_layer(<target> DEPENDS <targets...> [LIBS <external...>] [PRIVATE_LIBS ...])
# One static library per source folder: the folder's *.cpp, linked only to the
# layers below it, so that an include of a higher layer fails to link.
function(newsd_layer target)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LIBS;PRIVATE_LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(${target} STATIC ${sources})
  target_link_libraries(${target} PUBLIC ${ARG_DEPENDS} ${ARG_LIBS})
  if(ARG_PRIVATE_LIBS)
    target_link_libraries(${target} PRIVATE ${ARG_PRIVATE_LIBS})
  endif()
endfunction()

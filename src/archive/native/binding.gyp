{
  "targets": [
    {
      "target_name": "berth_archive",
      "sources": ["berth_archive.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}

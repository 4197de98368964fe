{
  "targets": [
    {
      "target_name": "berth_runtime",
      "sources": ["berth_runtime.c"],
      "include_dirs": ["../../archive/native"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}

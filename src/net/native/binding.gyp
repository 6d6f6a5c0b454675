{
  "targets": [
    {
      "target_name": "lbnet",
      "sources": ["lbnet.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

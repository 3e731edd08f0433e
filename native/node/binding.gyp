# N-API addon dm_native.node (native/node/dm_napi.c + the native core).
# Built by native/native.mk, which copies this file to build/native/gyp/ and passes -Ddm_root=<repo>
# so that every output stays under build/. Run by hand from native/node, dm_root defaults to ../..
{
  "variables": { "dm_root%": "../.." },
  "targets": [
    {
      "target_name": "dm_native",
      "sources": [
        "<(dm_root)/native/node/dm_napi.c",
        "<(dm_root)/native/core/ctx.c",
        "<(dm_root)/native/core/at.c",
        "<(dm_root)/native/core/sms.c",
        "<(dm_root)/native/core/wdp.c",
        "<(dm_root)/native/core/flash.c",
        "<(dm_root)/native/core/file.c"
      ],
      "include_dirs": [ "<(dm_root)/native" ],
      "defines": [ "_GNU_SOURCE", "_FILE_OFFSET_BITS=64" ],
      "cflags_c": [ "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers" ]
    }
  ]
}

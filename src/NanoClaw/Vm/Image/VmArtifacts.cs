namespace NanoClaw.Vm.Image;

/// <summary>
/// A finished VM image: absolute paths of its three files, and the recipe hash that names it
/// (<see cref="VmRecipe.InitrdHash"/>, which covers the base image too). <paramref name="Vmlinux"/>
/// is the kernel as an uncompressed ELF, which Firecracker needs; null until it is extracted.
/// </summary>
public sealed record VmArtifacts(string Kernel, string Initrd, string Rootfs, string RecipeHash, string? Vmlinux = null);

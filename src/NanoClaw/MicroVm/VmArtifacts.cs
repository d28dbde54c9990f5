namespace NanoClaw.MicroVm;

/// <summary>
/// A finished VM image: absolute paths of its three files, and the recipe hash that names it
/// (<see cref="VmRecipe.InitrdHash"/>, which covers the base image too).
/// </summary>
public sealed record VmArtifacts(string Kernel, string Initrd, string Rootfs, string RecipeHash);
